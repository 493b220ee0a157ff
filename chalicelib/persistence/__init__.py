"""Everything that knows how Adhesion is stored in its one DynamoDB table.

- ``keys``: every key and index key format, and the parsers of keys read back (the
  stream function, the operators' tools and the benchmarks use these, never literals);
- ``models``: the PynamoDB models, unbound; ``tables``: ``bind()`` them to a table and
  endpoint when the container is built;
- ``items``: items <-> domain objects; ``cursors``: opaque page cursors;
  ``transactions``: transactions whose failed conditions become domain errors;
- ``membership``: the membership repository (and its operator variant);
  ``email_ledger``: the email ledger's adapter.

Nothing here is imported at package import: the stream function imports ``keys`` at
module level without paying for PynamoDB.
"""
