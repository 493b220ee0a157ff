"""``make bench``: what each operation costs in DynamoDB calls, capacity units and emails,
whether that cost stays flat as organizations grow, how long the functions take to start
cold, how much time the service adds to DynamoDB's, and what a join flow costs in dollars.

Run ``python -m bench`` (``--quick`` skips the 100,000-member organization); it prints the
tables and writes ``bench/RESULTS.md``. ``tests/cost/`` keeps the call counts in ``make test``.
"""
