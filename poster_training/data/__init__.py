"""The pictures the model is trained and measured on besides posters: drawn and packaged non-posters, and the
reference images whose answers training records. Generated or read from installed packages; nothing is downloaded.

May import only third-party libraries (numpy, Pillow) and itself; the tests and bench/ import it too.
"""
