"""ledger.formats"""
