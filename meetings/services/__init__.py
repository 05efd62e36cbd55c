"""Services: the only code that changes meeting state.

Each one checks permission and input, writes in one transaction, appends to the meeting's event
log (``events.record``) and publishes after commit. Views, the REST API, the socket and the admin
call these; they never write models directly.
"""
