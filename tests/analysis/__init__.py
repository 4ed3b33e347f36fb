"""Tests for the pure analysis core."""
