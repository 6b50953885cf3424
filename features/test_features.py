"""Runs every scenario of the feature files in this folder."""
from pytest_bdd import scenarios

scenarios(".")
