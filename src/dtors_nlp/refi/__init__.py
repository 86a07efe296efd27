"""REFI-QDA, the exchange standard of QDA programs: safe reading, codebooks and projects.

- ``safe``: open ``.qdpx`` zip archives and parse XML without letting a hostile file in;
- ``codebook``: ``.qdc`` codebooks to and from our ``Codebook``;
- ``project``: ``.qdpx`` projects, read for training and written as drafts for coders.
"""
