"""ledger.core"""
