"""The numpy core: the maths behind every number a panel shows. numpy and the standard library only."""
