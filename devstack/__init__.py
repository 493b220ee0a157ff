"""Tools that stand in for AWS's managed plumbing on a developer's machine."""
