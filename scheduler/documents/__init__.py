"""Documents: the files Ulasan hands to people (XLSX reports, QR posters; later DOCX,
PDF, charts and published pages), built here so that a CLI command and a
Telegram handler produce the same file without importing each other."""
