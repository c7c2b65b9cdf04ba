print("kindling")
