"""Geography: postnummer polygon layers (``layers``), their groupings into larger areas
(``groupings``) and GeoNames' locality names (``geonames``)."""
