"""Auth methods (one module each) and the token store."""
