"""Views: what one page section, command or export shows, composed from the stages below it
(analysis -> release -> present), and the writes a page makes (imports, publishing, meetings,
actions, the audit log, sign-ins, Kolada's cache). The web pages and the command line call
these, so they show the same numbers; the web pages reach the domain through nothing else."""
