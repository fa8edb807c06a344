"""The public certification directory: what anyone may read, as plain frozen values.

The pages, the JSON API, the CSV export, the Atom feed and the badges all render what these
query functions return, so they show the same facts. Public means a public product of an
official vendor (``visibility``); nothing here returns an ORM object, a cpid, a person, a
submission id or evidence. Statuses come from ``certification.records.status``; the SQL form
in ``status_filter`` only selects rows and is tested to agree with it.
"""
