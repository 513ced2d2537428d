"""OsteoPlan application layer: the command line (entry point) and the Qt/VTK GUI.

The command line imports no Qt until the GUI is asked for.
"""
