"""Writers for drafts: suggestions files and the HTML review page."""
