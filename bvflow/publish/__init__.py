"""The public site's pages: Jinja2 templates of plain HTML and one CSS file, no script."""
