"""Data: import a file (preview, map unknown codes, confirm), undo batches, data quality."""

from webapp import import_page

import_page.render()
