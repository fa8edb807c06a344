"""Certification: programs, requests, review and records (DESIGN.md §2.6, §3.4)."""
