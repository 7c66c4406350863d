"""`field__among=[…]`: the `__in` of long lists, as one array parameter on PostgreSQL
(`field = ANY(%s)`) instead of one placeholder per value, which psycopg must split and the
server must parse and plan for every batch of thousands of ids; `IN (…)` elsewhere. Used by
the export and trace reads that look up ids in batches of thousands."""

from django.db.models import Field, ForeignObject, Lookup


class Among(Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(Among)
ForeignObject.register_lookup(Among)  # its lookups stop at ForeignObject in the MRO
