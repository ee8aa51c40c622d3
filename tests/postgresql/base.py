"""Django's PostgreSQL backend for the test run, flushing with DELETE instead of TRUNCATE.

Every transactional test (the browser tests, the row-lock tests) ends with a flush of every table. On
tables of a few rows TRUNCATE is the slow way: it makes new files for each table and its indexes, about
a second per flush here; DELETE takes a few milliseconds. Everything else is Django's own backend.
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED and flush runs in one transaction, so
        # the order of the tables does not matter: the constraints are checked once, at commit.
        delete = style.SQL_KEYWORD("DELETE FROM")
        return [f"{delete} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
