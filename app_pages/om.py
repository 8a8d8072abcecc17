"""Om data: what is measured, where the numbers come from, and how they are protected."""

from webapp import about

about.render()
