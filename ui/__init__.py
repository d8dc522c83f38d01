"""Streamlit pieces shared by the pages in views/: per-process resources, the drawing's
session state, charts, pictures, the sidebar's training form and the training status.
Pages import these; these never import a page."""
