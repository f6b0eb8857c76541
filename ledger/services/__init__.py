"""ledger.services"""
