"""Reads of clients, sites, contacts and applications that cross relations (the workspace's
search and client pages). One module per purpose."""
