"""Search: indexing videos from SQL, ranked queries with access rules, snippets, suggestions."""
