"""Accounts: users, passwords, sign-up and password reset."""
