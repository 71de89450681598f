"""What people see, in one place: models as plain text (``text``), the terminal and its table
(``terminal``), the download bars of the command line (``download_bar``) and of a notebook
(``notebook_bar``), and the words and bars both share (``progress_text``).

Nothing is imported here: each caller loads only the module it draws with.
"""
