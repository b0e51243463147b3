"""A force's own Word templates: uploaded versions, validation, preview, the
author's guide, and which template is in force for each kind of document."""
