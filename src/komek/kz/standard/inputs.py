"""Data the rules take as given: from a citizen's application or the registries."""
from komek.kz.standard import HOUSEHOLD, INCOME_KINDS, PERSON, rules

rules.input("role", PERSON, "str", "Role in the household (head, spouse, child, parent, other)", default="other", period="eternity")
rules.input("birth_date", PERSON, "date", "Date of birth", period="eternity")
rules.input("sex", PERSON, "str", "Sex (M, F)", default="", period="eternity")
rules.input("disability_group", PERSON, "str", "Disability group (1, 2, 3, child) or empty", default="")
rules.input("disability_cause", PERSON, "str", "Cause of disability (general, childhood, ...)", default="")
rules.input("children_born", PERSON, "int", "Children the woman has given birth to and raised", period="eternity")
rules.input("student", PERSON, "bool", "Full-time student", default=False)
rules.input("participation_years", PERSON, "int", "Years of participation in the pension system")
rules.input("uapf_savings", PERSON, "money", "Pension savings in the UAPF when payments start")
rules.input("uapf_years_paid", PERSON, "int", "Full years since payments from pension savings started")
rules.input("military", PERSON, "bool", "Serving in the military or special state bodies", default=False)
rules.input("self_employed_regime", PERSON, "str", "Tax regime of self-employment income (special, simplified)", default="special")
rules.input("mother_award", PERSON, "str", "Mother award held (kumis_alka, altyn_alka) or empty", default="")
for kind in INCOME_KINDS:
    rules.input(f"income_{kind}", PERSON, "money", f"Income: {kind.replace('_', ' ')}, monthly average over the reference quarter")

rules.input("region_code", HOUSEHOLD, "str", "Region of registration (KATO)", default="")
rules.input("locality_code", HOUSEHOLD, "str", "Locality of registration (9-digit KATO; empty when not known: the "
            "region's values apply)", default="")
rules.input("area_m2", HOUSEHOLD, "float", "Living area, m2")
rules.input("tenure", HOUSEHOLD, "str", "Tenure (own, state_rent, private_rent, other)", default="own")
rules.input("only_home", HOUSEHOLD, "bool", "The family's only home, with permanent registration", default=False)
rules.input("utilities", HOUSEHOLD, "money", "Utilities, monthly")
rules.input("maintenance", HOUSEHOLD, "money", "Maintenance and capital repair fees, monthly")
rules.input("communication", HOUSEHOLD, "money", "Telephone subscription, monthly")
rules.input("rent", HOUSEHOLD, "money", "Rent of state housing, monthly")
rules.input("social_contract", HOUSEHOLD, "bool", "Able-bodied members take part in employment measures (social contract)", default=True)
