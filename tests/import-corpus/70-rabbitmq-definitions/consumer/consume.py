print("consume")
