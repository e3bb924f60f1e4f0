"""How many references of the Kazakhstan standard cite an article (or an order's point), and how
many parameter values are confirmed. Run from a checkout:

    .venv/bin/python benchmarks/count_references.py

A reference is each formula's, each exception's, each parameter's and each counted-income
entry's; the article test and the walk over them are the standard's own (komek.kz.standard.law).
"""
from collections import Counter

from komek.kz.standard import standard
from komek.kz.standard.law import cites_article, reference_sites


def main() -> None:
    rules = standard()
    refs = Counter()
    for _, ref in reference_sites(rules):
        refs["total"] += 1
        refs["article" if cites_article(ref) else "assumption" if "[assumption:" in ref else "neither"] += 1
    values = [d for p in rules.parameters.params.values() for d in p.history]
    print(f"references: {refs['total']}; citing an article or point: {refs['article']}; "
          f"marked as assumptions: {refs['assumption']}; neither: {refs['neither']}")
    print(f"parameters: {len(rules.parameters.params)}; dated values: {len(values)}, "
          f"confirmed {sum(d.confirmed for d in values)}, not confirmed {sum(not d.confirmed for d in values)}")


if __name__ == "__main__":
    main()
