"""Accounts: users, password hashes, access tokens and sessions."""
