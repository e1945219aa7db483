"""Desired vs live -> Plan, and its renderings (text, JSON, Markdown) and saved form."""
