"""The Board: the active sprint as columns of cards."""
