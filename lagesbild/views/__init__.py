"""Views: what one page section, command or export shows, composed from the stages below it
(analysis -> release -> present). The web pages and the command line call these, so they
show the same numbers."""
