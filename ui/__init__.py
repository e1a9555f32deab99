"""Streamlit-side helpers shared by the pages: rendering, sidebar, cached resources.

Only this package and ``pages/`` import streamlit; ``core`` never does.
"""
