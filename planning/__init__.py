"""Headless planning layer of OsteoPlan: the case model, commands, trajectories, zones, cement, scores.

Positions are LPS millimetres. Nothing here imports Qt or VTK.
"""
