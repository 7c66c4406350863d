"""Which registry market a destination country counts as: shared by the rules that read
shipments in SQL (`shipments.market_expression`) and any rule that needs the member states."""

#: Member states whose destination counts as the EU market (ISO 3166-1 alpha-2).
EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
