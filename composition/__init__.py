"""The one place the validated stack config becomes component arguments: the program itself
(``composition.program``), and what it reads from the Pulumi runtime."""
