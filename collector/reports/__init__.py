"""Rendering of the analytics: terminal tables, CSV, JSON, XLSX, Markdown and a self-contained HTML report."""
