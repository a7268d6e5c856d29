"""Feeds: fetch.py gets the bytes over HTTP, parse.py turns them into entries."""
