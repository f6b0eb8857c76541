"""ledger.store"""
