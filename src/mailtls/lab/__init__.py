"""The built-in lab: a throwaway CA and local mail endpoints, one per certificate situation."""
