"""Record writes (keyword-only, typed, named <entity>_<action>). Reads are in selectors."""
