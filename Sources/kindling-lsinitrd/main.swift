print("lsinitrd")
