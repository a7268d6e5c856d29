"""Tests of the scheduled jobs and their pure helpers (jobs/)."""
