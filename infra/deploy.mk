# Packaging and deployment targets (issue 4). Included by the Makefile.
