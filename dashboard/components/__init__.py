"""Reusable page parts: folium maps (routes, service levels, base layers), charts,
tables, the timeline and route sheets. Pure presentation of the views' dataclasses.
"""
