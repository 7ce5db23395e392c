"""The domain core: definitions, guards, the state machine, the calendar, the audit chain.

Imports only the standard library, ``transitions`` and ``holidays``: no click, no database,
no templates, no mail.
"""
