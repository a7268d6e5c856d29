"""The console's pages, one module each; each lists its routes in ``ROUTES``."""
