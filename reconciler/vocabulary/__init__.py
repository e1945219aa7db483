"""Shared vocabulary: the policy language, durations, the YAML 1.2 rule set, the error base.

Rule: a leaf. It imports nothing else of ours, so the store, the client and the GitOps
reconciler can all speak the same language without depending on each other.
"""
